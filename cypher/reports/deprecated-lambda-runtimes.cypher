// Lambda functions on deprecated runtimes
//
// Lambda functions whose runtime AWS has deprecated, or will within the given number of
// days: the runtime no longer gets security patches, the function no longer gets
// technical support, and after the second date it can no longer be updated (only
// invoked).  Functions packaged as container images, or on a runtime the schedule does
// not name (a newer one), are not listed.  The schedule is AWS's (the deprecation
// and block-function-update dates of
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html) and is kept here
// only, in the list below, as that page stood on 2026-07-31: the newest copy reachable
// when it was last checked, on 2026-12-06.  Check it again when AWS announces a
// deprecation.
//
// columns: uid, account_id, region, name, runtime, deprecated: datetime,
//   updates_blocked: datetime, days_deprecated: int, last_modified: datetime
// key: uid
// param days_ahead: int >= 0 <= 3650 = 0 -- also runtimes whose deprecation comes within this many days
// index: AWSLambdaFunction(runtime)
UNWIND [
  {runtime: 'nodejs', deprecated: '2016-08-30', updates_blocked: '2016-10-31'},
  {runtime: 'dotnetcore2.0', deprecated: '2019-05-30', updates_blocked: '2019-05-30'},
  {runtime: 'dotnetcore1.0', deprecated: '2019-06-27', updates_blocked: '2019-07-30'},
  {runtime: 'nodejs6.10', deprecated: '2019-08-12', updates_blocked: '2019-08-12'},
  {runtime: 'nodejs4.3', deprecated: '2020-03-05', updates_blocked: '2020-03-05'},
  {runtime: 'nodejs4.3-edge', deprecated: '2020-03-05', updates_blocked: '2019-04-30'},
  {runtime: 'nodejs8.10', deprecated: '2020-03-06', updates_blocked: '2020-03-06'},
  {runtime: 'python2.7', deprecated: '2021-07-15', updates_blocked: '2022-05-30'},
  {runtime: 'nodejs10.x', deprecated: '2021-07-30', updates_blocked: '2022-02-14'},
  {runtime: 'ruby2.5', deprecated: '2021-07-30', updates_blocked: '2022-03-31'},
  {runtime: 'dotnetcore2.1', deprecated: '2022-01-05', updates_blocked: '2022-04-13'},
  {runtime: 'dotnet5.0', deprecated: '2022-05-10', updates_blocked: null},
  {runtime: 'python3.6', deprecated: '2022-07-18', updates_blocked: '2022-08-29'},
  {runtime: 'nodejs12.x', deprecated: '2023-03-31', updates_blocked: '2023-04-30'},
  {runtime: 'dotnetcore3.1', deprecated: '2023-04-03', updates_blocked: '2023-05-03'},
  {runtime: 'nodejs14.x', deprecated: '2023-12-04', updates_blocked: '2027-03-03'},
  {runtime: 'python3.7', deprecated: '2023-12-04', updates_blocked: '2027-03-03'},
  {runtime: 'ruby2.7', deprecated: '2023-12-07', updates_blocked: '2027-03-03'},
  {runtime: 'go1.x', deprecated: '2024-01-08', updates_blocked: '2027-03-03'},
  {runtime: 'java8', deprecated: '2024-01-08', updates_blocked: '2027-03-03'},
  {runtime: 'provided', deprecated: '2024-01-08', updates_blocked: '2027-03-03'},
  {runtime: 'dotnet7', deprecated: '2024-05-14', updates_blocked: null},
  {runtime: 'nodejs16.x', deprecated: '2024-06-12', updates_blocked: '2027-03-03'},
  {runtime: 'python3.8', deprecated: '2024-10-14', updates_blocked: '2027-03-03'},
  {runtime: 'dotnet6', deprecated: '2024-12-20', updates_blocked: '2027-03-03'},
  {runtime: 'nodejs18.x', deprecated: '2025-09-01', updates_blocked: '2027-03-03'},
  {runtime: 'python3.9', deprecated: '2025-12-15', updates_blocked: '2027-03-03'},
  {runtime: 'ruby3.2', deprecated: '2026-03-31', updates_blocked: '2027-03-03'},
  {runtime: 'nodejs20.x', deprecated: '2026-04-30', updates_blocked: '2027-03-03'},
  {runtime: 'provided.al2', deprecated: '2026-07-31', updates_blocked: '2027-03-03'},
  {runtime: 'python3.10', deprecated: '2026-10-31', updates_blocked: '2027-03-03'},
  {runtime: 'dotnet8', deprecated: '2026-11-10', updates_blocked: '2027-03-03'},
  {runtime: 'dotnet9', deprecated: '2026-11-10', updates_blocked: null},
  {runtime: 'ruby3.3', deprecated: '2027-03-31', updates_blocked: '2027-05-31'},
  {runtime: 'nodejs22.x', deprecated: '2027-04-30', updates_blocked: '2027-07-01'},
  {runtime: 'java11', deprecated: '2027-06-30', updates_blocked: '2027-08-31'},
  {runtime: 'java17', deprecated: '2027-06-30', updates_blocked: '2027-08-31'},
  {runtime: 'java8.al2', deprecated: '2027-06-30', updates_blocked: '2027-08-31'},
  {runtime: 'python3.11', deprecated: '2027-06-30', updates_blocked: '2027-08-31'},
  {runtime: 'ruby3.4', deprecated: '2028-03-31', updates_blocked: '2028-05-31'},
  {runtime: 'nodejs24.x', deprecated: '2028-04-30', updates_blocked: '2028-07-01'},
  {runtime: 'python3.12', deprecated: '2028-10-31', updates_blocked: '2029-01-10'},
  {runtime: 'dotnet10', deprecated: '2028-11-14', updates_blocked: '2029-01-15'},
  {runtime: 'ruby4.0', deprecated: '2029-03-31', updates_blocked: '2029-05-31'},
  {runtime: 'java21', deprecated: '2029-06-30', updates_blocked: '2029-08-31'},
  {runtime: 'java25', deprecated: '2029-06-30', updates_blocked: '2029-08-31'},
  {runtime: 'provided.al2023', deprecated: '2029-06-30', updates_blocked: '2029-08-31'},
  {runtime: 'python3.13', deprecated: '2029-06-30', updates_blocked: '2029-08-31'},
  {runtime: 'python3.14', deprecated: '2029-06-30', updates_blocked: '2029-08-31'}
] AS schedule
WITH schedule
WHERE date(schedule.deprecated) <= date() + duration({days: $days_ahead})
MATCH (f:AWSLambdaFunction {runtime: schedule.runtime})
WHERE f.uid > $after
RETURN f.uid AS uid, f.account_id AS account_id, f.region AS region, f.name AS name,
       f.runtime AS runtime, datetime(schedule.deprecated) AS deprecated,
       datetime(schedule.updates_blocked) AS updates_blocked,
       duration.inDays(date(schedule.deprecated), date()).days AS days_deprecated,
       f.last_modified AS last_modified
ORDER BY uid
LIMIT $limit
